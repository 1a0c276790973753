# packaging/packaging.mk - Debian packages, included by the top Makefile.
#
#   make deb        build the packages into $(B)/deb/ with dpkg-buildpackage
#                   on a copy of the tree (the web app is built first; the
#                   package build itself needs no network)
#   make check-deb  build them, lintian, systemd-analyze verify, install
#                   them on this machine, start the daemons as their units
#                   would, smoke-test through Debian's stock nginx site with
#                   the one include line, then purge and look for leftovers
#                   (needs root: it installs packages)

DEB_VERSION := $(shell dpkg-parsechangelog -l packaging/debian/changelog -S Version 2>/dev/null)
DEB_DIR     := $(B)/deb
DEB_SRC     := $(DEB_DIR)/runpad-$(DEB_VERSION)

.PHONY: deb check-deb
deb: web/dist/index.html
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	git ls-files -z --cached --others --exclude-standard | \
	  grep -zv '^packaging/debian/' | \
	  while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done | \
	  tar --null -T - -cf - | tar -C $(DEB_SRC) -xf -
	cp -r web/dist $(DEB_SRC)/web/dist
	cp -r packaging/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	@ls -l $(DEB_DIR)/*.deb

check-deb: deb
	$(PYTHON) -m unittest -v tests/packaging/test_deb.py
