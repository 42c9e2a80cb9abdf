"""The public column (公示专栏): pages anyone may read, mounted at ``/column``.

``pages.py`` gathers what the pages show (``Column``), ``feeds.py`` writes the JSON and RSS feeds,
``refusals.py`` answers a refused page as a page, ``routes.py`` serves them and ``install(app)``
adds the column to the service.
"""
