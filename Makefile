# conflict-atlas: `make run` opens the dashboard on the bundled story, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Debian's Chromium drives the browser tests; elsewhere `playwright install chromium` works too.
CHROMIUM ?= /usr/bin/chromium

.PHONY: install run test test-fast lint format config bench browser haproxy gdal story clean

ASSETS := dashboard/static

install: $(VENV)/.installed $(ASSETS)/node_modules/.package-lock.json

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Leaflet and its plugins, served by the app so maps work offline (pinned in package-lock.json).
$(ASSETS)/node_modules/.package-lock.json: $(ASSETS)/package.json $(ASSETS)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix $(ASSETS) --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the map will load Leaflet from public CDNs (install Node.js to work offline)"; \
	fi

run: install
	$(BIN)/atlas run --port $(PORT)

# The browser tests need a Chromium: Debian's package where we are root and it is missing.
browser:
	@if [ -x "$(CHROMIUM)" ] || [ -n "$$ATLAS_CHROMIUM" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "no Chromium at $(CHROMIUM): install it, or run '$(BIN)/playwright install chromium'"; \
	fi

# The access tests run a real HAProxy (atlas run --users/--tls-cert): Debian's package where
# we are root and it is missing. Debian puts it in /usr/sbin, off most users' PATH.
haproxy:
	@if command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || [ -n "$$ATLAS_HAPROXY" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's haproxy for the access tests"; \
		apt-get update -qq && apt-get install -y -qq haproxy >/dev/null; \
	else \
		echo "no haproxy: install it (apt-get install haproxy) or point ATLAS_HAPROXY at it"; \
	fi

# GDAL's ogrinfo reads our GeoPackages as QGIS does (the output tests check it warns of
# nothing): Debian's gdal-bin where we are root and it is missing.
gdal:
	@if command -v ogrinfo >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's gdal-bin for the output tests"; \
		apt-get update -qq && apt-get install -y -qq gdal-bin >/dev/null; \
	else \
		echo "no ogrinfo: install GDAL's command-line tools (apt-get install gdal-bin)"; \
	fi

# The tests start many Python processes (AppTest, atlas, Streamlit servers): with bytecode
# kept, each one skips recompiling the project and pytest skips rewriting the tests again,
# about 8 s a process where PYTHONDONTWRITEBYTECODE is set (as on our CI machines).
test test-fast: export PYTHONDONTWRITEBYTECODE :=

test: install browser haproxy gdal
	$(BIN)/python -m pytest

# Everything but the tests that drive Chromium or start servers (markers in pyproject.toml),
# with a shorter fuzzing run: the quick check while working. `make test` runs them all.
test-fast: install
	ATLAS_FUZZ_EXAMPLES=$${ATLAS_FUZZ_EXAMPLES:-40} $(BIN)/python -m pytest -m "not browser and not server" -n auto

# The folders of Python code, linted and formatted alike.
CODE := geo dashboard tests scripts bench

lint: install
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

format: install
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

# .streamlit/config.toml, for `streamlit run` from the project folder, is generated from
# dashboard/settings.py (tests/test_settings.py fails when it is out of date).
config: install
	$(BIN)/python -m dashboard.settings config > .streamlit/config.toml.tmp
	mv .streamlit/config.toml.tmp .streamlit/config.toml

# The story's timings, then the scale run (10k, 100k, 1M events; 20 viewers for 5 minutes).
bench: install browser haproxy
	$(BIN)/python -m bench
	$(BIN)/python -m bench.scale

# Rebuild the bundled places, zones, routes and basemap from ../shared/reference.
story: install
	$(BIN)/python scripts/build_story.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
