# The README's two commands: `make run` and `make test`. Only python3 (3.11+), pip and make needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install bench bench-reports docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all,test,docs]"
	touch $(STAMP)

install: $(STAMP)

# Install, then serve casehub on SQLite with the example config (http://127.0.0.1:8000/docs).
run: $(STAMP)
	$(BIN)/casehub demo --interactive --port 8000

# Install, then run the whole suite. pytest's exit 5 ("no tests collected") is a failure here.
test: $(STAMP)
	@$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python bench/create_cases.py
	$(BIN)/python bench/deliveries.py
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/rules_eval.py
	$(BIN)/python bench/form_posts.py
	$(BIN)/python bench/salesforce_sync.py
	$(BIN)/python bench/slack_notify.py
	$(BIN)/python bench/jira_feedback.py --threshold 0.4 --threshold 0.5 --set overlapping --set distinct

# The reporting benchmark: loads a million cases into REPORT_DB (about 3 minutes and 6 GB), then times the reports.
REPORT_DB ?= sqlite:///bench-report.db
bench-reports: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/report_data.py --url $(REPORT_DB)
	$(BIN)/python bench/reports.py --url $(REPORT_DB)

docs: $(STAMP)
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) build dist *.egg-info site
