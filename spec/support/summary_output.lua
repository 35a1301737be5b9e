-- busted output handler: the usual terminal report, then one closing line
-- "N passed, N failed, N skipped" that CI can read, also appended to the file
-- named by MISTAPI_TEST_COUNTS so `make test` can add up several runs. A
-- shuffled run (--shuffle) also prints the seed that replays its order.
return function(options)
  local busted = require "busted"
  local base = require "busted.outputHandlers.utfTerminal"(options)

  local seed

  local function summary()
    local passed = #base.successes
    local failed = #base.failures + #base.errors
    local skipped = #base.pendings
    local line = string.format("%d passed, %d failed, %d skipped", passed, failed, skipped)
    if seed then
      -- files and tests ran in a random order: this replays it
      io.write(("shuffled; replay this order with: --shuffle --seed=%s\n"):format(tostring(seed)))
    end
    io.write(line, "\n")
    io.flush()
    local path = os.getenv("MISTAPI_TEST_COUNTS")
    if path and path ~= "" then
      local f = assert(io.open(path, "a"))
      f:write(passed, " ", failed, " ", skipped, "\n")
      f:close()
    end
    return nil, true
  end

  -- busted hands the seed to 'suite start' when it shuffles
  busted.subscribe({ "suite", "start" }, function(_, _, _, s)
    seed = s
    return nil, true
  end)
  busted.subscribe({ "suite", "end" }, summary)
  return base
end
