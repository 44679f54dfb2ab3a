"""Helpers shared by the tests: fakes, servers, subprocess runners. Test modules import these,
never each other."""
