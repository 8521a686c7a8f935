# Everything a fresh machine needs is installed from here: `make run` or `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
MANAGE := $(PY) manage.py
STAMP := .venv/.requirements-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: setup system-deps venv migrate run serve worker test test-fast test-sqlite test-pg test-cluster cluster lint bench messages clean

setup: system-deps venv messages migrate

system-deps:
	@scripts/install-system-deps

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || python3.11 -m venv .venv || python3 -m venv .venv
	@$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt
	@rm -f .venv/.requirements-* && touch $(STAMP)

messages: locale/en/LC_MESSAGES/django.mo locale/zh_Hans/LC_MESSAGES/django.mo

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	@$(MANAGE) compilemessages -l $* -v 0 --ignore=.venv --ignore=var

migrate:
	@mkdir -p var/static var/files
	@$(MANAGE) migrate --noinput -v 0
	@$(MANAGE) createcachetable

run: setup
	@$(MANAGE) seed_demo
	@echo ""
	@echo "  江津区影视产业扶持服务平台  http://127.0.0.1:8000/"
	@echo "  管理后台 admin:            http://127.0.0.1:8000/admin/"
	@echo "  健康检查 health:           http://127.0.0.1:8000/healthz"
	@echo "  演示账号 demo logins (password jiangjin-demo):"
	@echo "    applicant clerk reviewer expert approver finance manager admin"
	@echo ""
	@trap 'kill 0' EXIT; $(MANAGE) db_worker & DEBUG=$${DEBUG:-1} $(MANAGE) runserver 127.0.0.1:8000

serve: setup
	@$(MANAGE) collectstatic --noinput -v 0
	.venv/bin/gunicorn invest.wsgi --bind $${BIND:-127.0.0.1:8000} --workers $${WORKERS:-2} --access-logfile -

worker: setup
	$(MANAGE) db_worker

test: setup test-sqlite

# The inner loop: everything but the browser, fuzz and process-kill tests (pytest markers, pyproject.toml).
test-fast: setup
	@echo "== fast test suite on SQLite (no browser, fuzz or process-kill tests) =="
	@$(PY) -m pytest -m "not browser and not fuzz and not process_kill" $(PYTEST_ARGS)

test-sqlite:
	@echo "== test suite on SQLite =="
	@$(PY) -m pytest $(PYTEST_ARGS)

test-pg: setup
	@echo "== test suite on PostgreSQL =="
	@scripts/with-postgres $(PY) -m pytest $(PYTEST_ARGS)

# Two app hosts on loopback (scripts/cluster): PostgreSQL, Redis, an S3 server, nginx, two gunicorns, two workers.
cluster: setup
	@scripts/cluster

test-cluster: setup
	@echo "== cluster: nginx in front of two app hosts, one killed midway =="
	@scripts/cluster run $(PY) -m pytest tests/cluster -p no:cacheprovider $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check .
	$(MANAGE) makemigrations --check --dry-run
	@# The production start-up checks (invest/checks.py) want a scanner decision and a complete static manifest.
	export DJANGO_ENV=production SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	  ALLOWED_HOSTS=film.jiangjin.example DATABASE_URL=sqlite:////tmp/jj-lint.sqlite3 \
	  CLAMAV_DISABLED=1 STATIC_ROOT=/tmp/jj-lint-static; \
	  $(MANAGE) collectstatic --noinput -v 0 && $(MANAGE) check --deploy --fail-level WARNING

bench: setup
	@for f in bench/*.py; do echo "== $$f =="; \
	  case $$f in bench/load.py) scripts/with-postgres $(PY) $$f || exit 1;; *) $(PY) $$f || exit 1;; esac; done

clean:
	rm -rf .venv var db.sqlite3* tests/artifacts
