"""The local stack: the template's resources on moto, its API on loopback, its triggers polled."""
