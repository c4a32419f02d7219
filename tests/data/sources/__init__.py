"""Tests of clusterecon.data.sources and clusterecon.data.panels."""
