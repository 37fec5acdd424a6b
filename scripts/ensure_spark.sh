#!/usr/bin/env bash
# What the Spark engine needs beyond the venv's pyspark/delta-spark: a Java 17 runtime (Debian's;
# pyspark 4.2 runs on 17) and the two delta-spark jars in the local Maven repository (~/.m2),
# fetched once from Maven Central without their transitive tree (pyspark ships the rest), so a
# Spark session starts with Delta and downloads nothing at run time.
set -euo pipefail
DELTA_VERSION=4.4.0
SCALA_SPARK=4.2_2.13
M2=${LEARNSMART_M2_REPO:-$HOME/.m2/repository}

sudo_or_fail() {
  if [ "$(id -u)" = "0" ]; then echo ""; return; fi
  if command -v sudo >/dev/null 2>&1; then echo "sudo -n"; return; fi
  echo "$1 is missing and this user cannot install packages: apt-get install $2" >&2
  exit 1
}

apt_install() {  # apt_install <what> <package>
  local SUDO
  SUDO=$(sudo_or_fail "$1" "$2")
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q "$2" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "$2" >/dev/null; }
}

if ! ls -d /usr/lib/jvm/java-17-openjdk-* >/dev/null 2>&1 && [ -z "${LEARNSMART_SPARK_JAVA_HOME:-}" ]; then
  apt_install "Java 17" openjdk-17-jre-headless
fi
command -v mvn >/dev/null 2>&1 || apt_install "Maven" maven

for artifact in "io.delta:delta-spark_${SCALA_SPARK}:${DELTA_VERSION}" "io.delta:delta-storage:${DELTA_VERSION}"; do
  IFS=: read -r group name version <<<"$artifact"
  jar="$M2/${group//.//}/$name/$version/$name-$version.jar"
  if [ ! -s "$jar" ]; then
    echo "fetching $artifact from Maven Central into $M2"
    mvn -B -q "-Dmaven.repo.local=$M2" dependency:get -Dtransitive=false "-Dartifact=$artifact"
  fi
  [ -s "$jar" ] || { echo "$jar is missing after mvn dependency:get" >&2; exit 1; }
done
echo "spark engine ready: Java 17, delta-spark $DELTA_VERSION jars in $M2"
