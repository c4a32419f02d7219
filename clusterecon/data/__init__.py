"""clusterecon.data."""
