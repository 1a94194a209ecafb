"""Parser and sample-writer tests (a package so the tests can share helpers from conftest)."""
