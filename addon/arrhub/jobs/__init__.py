"""Work longer than a request: the runner, its schedule, and the modules it runs."""
