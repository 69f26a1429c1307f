# Included by each layer's Makefile. A layer ships the bytecode of the Lambda runtime's CPython
# 3.13: /opt is read-only, so without it every module is compiled again on each cold start (the
# webhook's imports take ~2.7x as long here; docs/PERFORMANCE.md, "Cold start"). pip's own
# __pycache__ is for whichever Python ran it, so it is replaced. unchecked-hash: the .pyc is not
# checked against its source's mtime, which the layer's zip (2-second times) would not keep.
define compile_bytecode
	find "$(1)" -name __pycache__ -prune -exec rm -rf {} +
	if $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then \
		$(PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(1)"; \
	else \
		echo "warning: $(PYTHON) is not Python 3.13: the layer has no bytecode (slower cold starts)" >&2; \
	fi
endef
