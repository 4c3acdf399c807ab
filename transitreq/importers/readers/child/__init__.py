"""Code that runs only in the reader child process (``readers/child_process.py``).

``run.py`` is started as a script, with this folder first on its path, so these modules import
each other by their bare names and nothing of transitreq: this file is not run there. The parent
imports only ``reader_protocol`` from here.
"""
