"""The ports: what the services ask of the outside world, in the domain's words.

store.py: the store, one narrow port per aggregate; outside.py: payments, sealing, mail, uploads and the
CDN; content.py: the stations' content, as the console's editor reads and writes it; supply.py: an upstream
supplier of card keys and top-ups.
"""
