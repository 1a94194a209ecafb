"""API pulls for offices that connected their accounts instead of uploading exports.

Which office is pulled is configuration: the account registry's ``source`` column
(``api`` instead of ``export``). For each such account and ISO week, a pull asks the
platform for the posts published in that week (office local time) with their lifetime
metrics as of now, plus the account's follower count, and writes every response,
unchanged but for secrets, as JSON lines into the landing zone::

    <landing>/<YYYY-Www>/<office_code>/api/<platform>/<platform>_<UTC time>.jsonl

From there the file goes the way every export goes (parse -> validate -> load): the
platform's parser module reads it (``medsos.parsers.<platform>``), the manifest lists it,
and of several pulls of the same office and week every one counts and the newest gives the
numbers of the posts it lists. A pull can
therefore be replayed (load the file again) and audited (what exactly did the API say).

Modules: ``client`` (the one HTTP client: retries, rate limits, errors, secrets),
``connections`` (tokens from Airflow connections), one module per platform
(``facebook``, ``instagram``, ``youtube``, ``tiktok``, ``x``) and ``pull`` (runs them).
"""
