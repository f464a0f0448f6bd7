"""Database access for the live path (relay and consumers), off Django's request thread.

``database_sync_to_async`` defaults to the one thread Django's ASGI handler also runs
every synchronous view in, so a slow page request would hold up event delivery. The
live path's reads are short, independent and autocommit, so they run in the thread
pool instead; each call still closes stale connections before and after.
"""

from functools import partial

from channels.db import database_sync_to_async

live_db = partial(database_sync_to_async, thread_sensitive=False)
