"""The no-code trainee app: the lessons' widgets and the exercises as web pages (Voila).

`pages` builds each page (one call per notebook in `app/`); `serve` holds the
Voila command that `make app` and the browser tests both run.
"""
