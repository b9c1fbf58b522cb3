#!/bin/sh
# A stand-in for the `process-chunk` ECS container of pipeline.asl.json, run by asl as a local
# command (see pipeline.handlers.json). asl writes the state's ECS parameters (Cluster,
# TaskDefinition, Overrides, ...) as one JSON line on stdin; the answer on stdout is shaped
# like the ECS task Step Functions returns for runTask.sync, so ResultSelector works unchanged.
set -eu
input=$(cat)
# The chunk is the container override {"Name":"CHUNK","Value":"..."}.
chunk=$(printf '%s' "$input" | sed -n 's/.*"Name":"CHUNK","Value":"\([^"]*\)".*/\1/p')
if [ -z "$chunk" ]; then
  echo '{"Error": "ChunkMissing", "Cause": "no CHUNK in the container overrides"}'
  exit 1
fi
echo "processing $chunk" >&2
printf '{"TaskArn":"local:process-chunk/%s","LastStatus":"STOPPED","StopCode":"EssentialContainerExited","Containers":[{"Name":"worker","ExitCode":0}]}\n' "$chunk"
