"""The study core: pure Python and numpy, no Django.

Search spaces, the spec, samplers, pruners and trial snapshots live here so they can
be unit-tested in memory and reused by any worker process.
"""
