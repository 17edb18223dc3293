-- wrk script for benches/load.sh: mixed allow/deny checks over many principals and accounts.
-- Environment: PRINCIPALS (how many users the store holds), SPREAD (how many of them to ask
-- about; small = warm cache), FRESH=1 (bypass the cache), MISS=1 (every check names a resource
-- id never asked about before, as a portal's invoices and orders do), BATCH=n (n checks per
-- request).
local principals = tonumber(os.getenv("PRINCIPALS") or "1000")
local spread = math.min(tonumber(os.getenv("SPREAD") or principals), principals)
local fresh = os.getenv("FRESH") == "1"
local miss = os.getenv("MISS") == "1"
local batch = tonumber(os.getenv("BATCH") or "0")
local actions = { { "payInvoice", "Invoice", "inv-" }, { "viewService", "Service", "svc-" } }
-- A run's resource ids start with its start time, so no run repeats an earlier one's.
local run, sent = os.time(), 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "bench-check-token-0001")

local function one()
  local user = math.random(0, spread - 1)
  local action = actions[math.random(1, 2)]
  local id = "1"
  if miss then
    sent = sent + 1
    id = run .. "-" .. sent
  end
  local body = string.format(
    '{"principal":"u%d","action":"%s","resource":{"type":"%s","id":"%s"},"account":"a%d"%s}',
    user, action[1], action[2], action[3] .. id, math.floor(user / 10), fresh and ',"consistency":"fresh"' or "")
  return body
end

request = function()
  if batch > 0 then
    local items = {}
    for i = 1, batch do items[i] = one() end
    return wrk.format(nil, "/v1/check/batch", nil, '{"checks":[' .. table.concat(items, ",") .. ']}')
  end
  return wrk.format(nil, "/v1/check", nil, one())
end
