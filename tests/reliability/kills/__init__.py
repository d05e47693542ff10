"""The kinds of work `kill_run.py` kills at random moments, one module each."""
