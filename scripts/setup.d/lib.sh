# Shared helpers for scripts/setup.d/*.sh (sourced, not run).
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "${MOCKKPR_APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq
    export MOCKKPR_APT_UPDATED=1
  fi
  echo "== installing $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}
