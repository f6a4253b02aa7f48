"""The integration test: the deployable integ app (integ-runner) and the test that synthesizes it."""
