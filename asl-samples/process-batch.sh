#!/bin/sh
# A stand-in for the process-batch Lambda of batch-orders.asl.json, run by asl as a local
# command (see batch-orders.handlers.json). stdin holds the Lambda invoke parameters, whose
# Payload is the batch: {"BatchInput": {"runDate": ...}, "Items": [{"orderId", "customer",
# "amount"}, ...]} (CSV values are strings). The answer is shaped like lambda:invoke's.
set -eu
input=$(cat)
orders=$(printf '%s' "$input" | grep -o '"orderId"' | wc -l | tr -d ' ')
total=$(printf '%s' "$input" | grep -o '"amount":"[0-9.]*"' | sed 's/.*:"\(.*\)"/\1/' |
  awk '{ s += $1 } END { printf "%.2f", s }')
printf '{"StatusCode":200,"Payload":{"orders":%s,"total":%s}}\n' "$orders" "$total"
