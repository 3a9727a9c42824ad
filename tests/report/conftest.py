from tiny_runs import cgan_run, dcgan_run, toy_run  # noqa: F401  (session-scoped fixtures)
