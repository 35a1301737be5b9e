-- make bench's fleet row (bench/lib/fleet_figures.lua): the ideal wall time of
-- an audit across orgs read from the emulator's log of a real `audit
-- --all-orgs`, the 429s of one token, the CLI's summary line, the fleet
-- processes' lines, and the target it judges. No time is measured here.
local emu = require "support.emulator"
local cli = require "support.cli"

local saved = package.path
package.path = "bench/lib/?.lua;" .. package.path
local figures = require "fleet_figures"
package.path = saved

local LIST = "/api/v1/orgs/%s/apitokens"

describe("make bench's fleet row", function()
  describe("the ideal for a concurrency", function()
    local function log_of(sequential, lists)
      local log = {}
      for i = 1, sequential do log[#log + 1] = { path = "/api/v1/step/" .. i } end
      for i = 1, lists do log[#log + 1] = { path = LIST:format("org-" .. i) } end
      return log
    end

    it("counts the calls one after another and the token lists in waves, rounding a part wave up", function()
      local got = figures.ideal(log_of(2, 300), 80, 8, 2)
      assert.same({ ms = 42 * 80, round_trips = 42, sequential = 2, lists = 300, waves = 38 }, got)
      assert.same(40, figures.ideal(log_of(0, 320), 1, 8, 0).waves)
      assert.same(1, figures.ideal(log_of(0, 1), 80, 8, 0).waves)
      assert.same(300, figures.ideal(log_of(0, 300), 80, 1, 0).waves)
    end)

    it("takes a token of one org (not a list) as a call of its own", function()
      local log = { { path = LIST:format("a") .. "/some-token-id" }, { path = LIST:format("b") } }
      local got = figures.ideal(log, 10, 8, 0)
      assert.same(1, got.sequential)
      assert.same(1, got.lists)
    end)

    it("refuses a concurrency under 1", function()
      assert.has_error(function() figures.ideal({}, 80, 0, 2) end, "ideal: conc must be 1 or more")
    end)
  end)

  describe("against the emulator", function()
    local e
    setup(function() e = emu.start() end)
    teardown(function() e:stop() end)
    before_each(function() e:reset() end)

    it("reads the ideal of a real audit --all-orgs from its log: /self and the MSP's orgs, then the lists", function()
      local msp = e:add_msp {}
      e:add_orgs(20, { msp_id = msp.id, tokens = 2 })
      e:set_user_privileges { { scope = "msp", role = "admin", msp_id = msp.id } }
      local me = e:make_self_token { name = "bench" }
      e:clear_log()
      local r = cli.run(e, { "audit", "--all-orgs", "--concurrency", "8", "--fail-on", "never" },
        { token = me.key, secrets = { me.key } })
      assert.equal(0, r.status)
      assert.same({ tokens = 40, orgs = 20, failed = 0 }, figures.summary(r.out))
      local got = figures.ideal(e:log(), 80, 8, 2)
      assert.same({ ms = 7 * 80, round_trips = 7, sequential = 2, lists = 20, waves = 3 }, got)
    end)

    it("counts one token's calls and the 429s among them, not another token's", function()
      e:config { rate_limit = 2, rate_window = 3600 }
      local a, b = e:make_token { name = "a" }, e:make_token { name = "b" }
      for _ = 1, 5 do e:api("GET", e:tokens_path(), nil, a.key) end
      e:api("GET", e:tokens_path(), nil, b.key)
      local log = e:log()
      assert.same({ calls = 5, limited = 3 }, figures.calls(log, a.id))
      assert.same({ calls = 1, limited = 0 }, figures.calls(log, b.id))
    end)
  end)

  describe("what the processes said", function()
    it("reads the CLI's summary line, singular or plural, and nothing from another line", function()
      assert.same({ tokens = 1, orgs = 1, failed = 1 },
        figures.summary("2 findings (...) in 1 token of 1 org; 1 org failed\n"))
      assert.same({ tokens = 600, orgs = 300, failed = 0 },
        figures.summary("org x: 2 findings in 2 tokens\n600 findings in 600 tokens of 300 orgs; 0 orgs failed\n"))
      assert.is_nil(figures.summary("mistapi-tokens: HTTP 401\n"))
    end)

    it("adds up the processes' lines and counts one that printed none as not finished", function()
      local t = figures.tally { "orgs 300 failed 0 tokens 600 warnings 0\n", "lua5.4: killed\n",
        "orgs 300 failed 2 tokens 596 warnings 3\n" }
      assert.same({ processes = 3, finished = 2, orgs = 600, failed = 2, tokens = 1196, warnings = 3 }, t)
    end)

    it("calls a fleet's run complete only when every process audited every org with its tokens", function()
      local function t(finished, orgs, failed, tokens)
        return { processes = 3, finished = finished, orgs = orgs, failed = failed, tokens = tokens }
      end
      assert.is_true(figures.complete(t(3, 900, 0, 1800), 300, 2))
      local cases = {
        { t(2, 600, 0, 1200), "1 of 3 processes did not finish" },
        { t(3, 899, 0, 1798), "899 orgs listed, 900 expected" },
        { t(3, 900, 4, 1792), "4 orgs failed" },
        { t(3, 900, 0, 1799), "1799 tokens audited, 1800 expected" },
      }
      for _, c in ipairs(cases) do
        local ok, why = figures.complete(c[1], 300, 2)
        assert.is_false(ok)
        assert.equal(c[2], why)
      end
    end)
  end)

  describe("the target", function()
    local function row(limited, status) return { limited = limited, status = status or "ok" } end

    it("is met when the shared budget saw no 429 while independent budgets did", function()
      local t = figures.judge(row(42), row(0))
      assert.equal(1, #t)
      assert.is_true(t[1].met)
      assert.equal("0 429s shared, 42 with independent budgets", t[1].detail)
    end)

    it("is missed by a 429 under the shared budget, or a shared run that failed", function()
      assert.is_false(figures.judge(row(42), row(1))[1].met)
      assert.is_false(figures.judge(row(42), row(0, "FAILED"))[1].met)
    end)

    it("judges nothing when the independent budgets met no 429 (the limit was too high) or a row is missing", function()
      local t = figures.judge(row(0), row(0))
      assert.is_nil(t[1].met)
      assert.matches("no comparison", t[1].detail)
      assert.same({ { name = "fleet: a shared budget sees no 429", detail = "not measured" } },
        figures.judge(nil, row(0)))
    end)
  end)
end)
