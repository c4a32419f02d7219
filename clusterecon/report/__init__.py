"""clusterecon.report."""
