"""gunicorn's settings for one web process, for `make prod-up` and the
container image alike: the address from PORTAL_BIND, the number of workers
from WEB_CONCURRENCY. Logs go to stderr (the process manager writes them
to a file); the access log names the request id that nginx set."""

import os

bind = os.environ.get("PORTAL_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Slow pages (an inline ZIP of 50 invoices) finish; a stuck worker is
# killed and replaced. nginx waits longer (deploy/nginx.conf).
timeout = 120
graceful_timeout = 30
# Workers are replaced now and then, so that a leak cannot grow forever.
max_requests = 2000
max_requests_jitter = 200
# Only the proxy talks to gunicorn; it sets X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
