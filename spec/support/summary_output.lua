-- busted output handler: the usual terminal report, then one closing line
-- "N passed, N failed, N skipped" that CI can read, also appended to the file
-- named by MISTAPI_TEST_COUNTS so `make test` can add up several runs.
return function(options)
  local busted = require "busted"
  local base = require "busted.outputHandlers.utfTerminal"(options)

  local function summary()
    local passed = #base.successes
    local failed = #base.failures + #base.errors
    local skipped = #base.pendings
    local line = string.format("%d passed, %d failed, %d skipped", passed, failed, skipped)
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

  busted.subscribe({ "suite", "end" }, summary)
  return base
end
