# shellcheck shell=bash
# Shared by scripts/check-chart and scripts/install-deps (sourced, not run).
#
# promtool from Debian's prometheus package, unpacked with dpkg-deb (not
# installed, no service), cached at ${SMSGW_CHART_TOOLS:-~/.cache/smsgw-chart}/promtool.
# The chart checks lint the alert rules and dashboard with it; the end-to-end
# test tests/tests/promtool_metrics.rs runs `promtool check metrics` on the
# gateway's /metrics and finds it at the same path (or $SMSGW_PROMTOOL).
# Once cached, nothing is downloaded again.

promtool_path="${SMSGW_CHART_TOOLS:-$HOME/.cache/smsgw-chart}/promtool"

# Unpacks promtool to $promtool_path unless it is there already.
promtool_install() {
  [ -x "$promtool_path" ] && return 0
  echo "==> unpacking promtool from Debian's prometheus package"
  local work status=0
  work=$(mktemp -d)
  chmod 777 "$work"   # apt-get download fetches as user _apt
  if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
    { promtool_as_root apt-get update -qq && (cd "$work" && apt-get download prometheus >/dev/null); } || status=$?
  fi
  if [ "$status" = 0 ]; then
    { dpkg-deb -x "$work"/prometheus_*.deb "$work/root" \
      && mkdir -p "$(dirname "$promtool_path")" \
      && install -m 0755 "$work/root/usr/bin/promtool" "$promtool_path"; } || status=$?
  fi
  rm -rf "$work"
  return "$status"
}

promtool_as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
