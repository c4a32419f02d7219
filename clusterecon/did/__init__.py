"""clusterecon.did."""
