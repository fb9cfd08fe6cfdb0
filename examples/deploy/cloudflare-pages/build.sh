#!/bin/sh
# Cloudflare Pages build command (sh build.sh). The production branch is built with site.yaml's
# base_url (your custom domain, or https://<project>.pages.dev); a preview deployment of any
# other branch with its own address ($CF_PAGES_URL), so its links stay on the preview.
# Set PRODUCTION_BRANCH in the project's variables if yours is not main.
set -eu
python -m pip install -r requirements.txt
if [ "${CF_PAGES_BRANCH:-}" = "${PRODUCTION_BRANCH:-main}" ] || [ -z "${CF_PAGES_URL:-}" ]; then
  digestgen build --strict
else
  digestgen build --strict --base-url "$CF_PAGES_URL/"
fi
