"""check/inputs."""
