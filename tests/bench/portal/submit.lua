-- submit.lua — wrk script: durable submissions of the 20-field bench procedure.
-- Each request has its own Idempotency-Key (thread id + counter), so every one is a
-- new application, committed before its 201. ATTACHMENT (env) names a clean upload.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

local attachment = os.getenv("ATTACHMENT")
local body_template = [[{"answers":{"text1":"関所 太郎","text2":"項目2","text3":"項目3",
"text4":"項目4","text5":"項目5","text6":"項目6","text7":"項目7","text8":"項目8",
"name_kana":"ｾｷｼｮ ﾀﾛｳ","email":"taro@example.jp","tel":"03-1234-5678",
"postal_code":"100-0001","address":"東京都千代田区千代田1-1","birth_date":"1990-04-01",
"count":"3","choice":"a","kind":"y","days":["mon","tue"],"note":"ベンチマーク"}]]
if attachment and attachment ~= "" then
  body_template = body_template .. [[,"uploads":{"attachment":["]] .. attachment .. [["]}}]]
else
  body_template = body_template .. "}"
end

function request()
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%d-%d-%d", os.time(), tid, counter),
  }
  return wrk.format("POST", nil, headers, body_template)
end

local non201 = 0
function response(status, headers, body)
  if status ~= 201 then
    non201 = non201 + 1
    if non201 <= 3 then io.stderr:write("status " .. status .. ": " .. body .. "\n") end
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
    "errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
end
