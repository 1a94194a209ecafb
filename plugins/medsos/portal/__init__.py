"""The medsos web portal (``medsos portal``): offices upload their weekly exports and see
at once what medsos makes of them; provincial and KPU RI staff read their offices' weeks
without SQL.

* ``users``   — ``portal_users.csv`` in the configuration folder, argon2 password hashes
* ``auth``    — signed session cookies, CSRF tokens, sign-in rate limits, who may see what
* ``uploads`` — safe names, content sniffed by its bytes, ZIP limits, written whole or not
  at all into ``<landing>/<week>/<office>/``, then checked by ``pipeline.check_files``
* ``pages``   — what the published copy of the warehouse says (never the live warehouse)
* ``app``     — the FastAPI application (``create_app``)
"""
