#!/bin/sh
# Every feature of the Exo shell in one script; `cargo xtask test shell_script` runs it with
# `sh /etc/features.sh` and checks its output line by line.

# Programs with arguments, quotes and variables.
echo one two   three
echo 'single  $GREETING  quoted' "double [$GREETING] quoted"
GREETING=hello
echo "greeting=$GREETING" ${GREETING}s
export GREETING
env | grep GREETING
LOCAL=1 env | grep -c LOCAL
# Lists and conditionals.
echo a; echo b
true && echo and-ran
false && echo and-skipped
false || echo or-ran
true || echo or-skipped
nosuchcmd
echo status=$?
false; echo status=$?
true; echo status=$?
# Pipelines and redirections.
cat /usr/share/numbers | sort -n | head -n 3
sort /usr/share/words | uniq -c | sort -rn | head -n 1
wc -l < /usr/share/numbers
echo first > /tmp/out
echo second >> /tmp/out
cat < /tmp/out
echo replaced > /tmp/out
cat /tmp/out
cat /nonexistent
echo status=$?
# Directories.
cd /usr/share
pwd
cat numbers | wc -l
cd ..
pwd
cd /nonexistent
echo status=$?
cd /
# Background jobs.
sleep 1 &
wait
echo background-done
# Nested shells: status and syntax errors.
sh -c 'exit 7'
echo status=$?
sh -c 'echo ( |'
echo status=$?
echo done
exit 3
