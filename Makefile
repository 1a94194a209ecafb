# medsos: everything a fresh machine with Python 3.11 and pip needs.
#   make demo   sample exports + the weekly DAG through Airflow; leaves data/
#   make test   the test suite
#   make lint   ruff (rules, formatting) and mypy on plugins/ and dags/
#   make airflow  the Airflow UI with the project's DAGs on this machine (127.0.0.1:8080)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
UV_VERSION := 0.13.8

.PHONY: bootstrap demo airflow test test-deps lint clean

$(VENV)/bin/uv:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "medsos needs Python 3.11, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# --compile-bytecode: every process (Airflow task, parse worker, test) then imports
# Airflow, pandas and GX from .pyc files instead of compiling their sources again, which
# it does each time where PYTHONDONTWRITEBYTECODE is set (GX: 7 s -> 3 s, measured here).
$(VENV)/.synced: $(VENV)/bin/uv pyproject.toml uv.lock
	$(VENV)/bin/uv sync --frozen --compile-bytecode --python $(VENV)/bin/python
	touch $@

bootstrap: $(VENV)/.synced

demo: bootstrap
	$(VENV)/bin/medsos demo

# the Airflow UI (api-server, scheduler, DAG processor, triggerer) with the project's DAGs on
# embedded defaults; prints the admin password; MEDSOS_AIRFLOW_PORT picks another port
airflow: bootstrap
	$(VENV)/bin/python -m medsos.airflow_local

# Debian's packages the tests run for real: chromium renders the weekly email at phone
# width; PostgreSQL and Redis carry the production topology (tests/test_topology.py);
# docker-compose reads docker-compose.yaml as Docker would (no engine needed).
test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian's$$missing (tests run them for real)"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing" >/dev/null \
	  || echo "could not install$$missing; the tests that need them will fail in CI"; \
	fi

test: bootstrap test-deps
	$(VENV)/bin/python -m pytest -q

# ruff's rules and formatting, and mypy's types ([tool.mypy] in pyproject.toml)
lint: bootstrap
	$(VENV)/bin/ruff check plugins dags tests
	$(VENV)/bin/ruff format --check plugins dags
	$(VENV)/bin/mypy plugins/medsos dags

clean:
	rm -rf data .pytest_cache
