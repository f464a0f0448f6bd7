# The two entry points of the README. Each sets itself up (.venv, packages) first.
.PHONY: demo test

demo:
	./scripts/demo.sh

test:
	./scripts/test.sh
