-- mistapi.lifecycle.markers: the one statement of the names a token carries
-- while a rotation or an apply's create is unfinished. A re-run (of this
-- release or a later one) must read back what a run wrote, and nothing else.
local markers = require "mistapi.lifecycle.markers"

local ID = "497f6eca-6276-4993-bfeb-53efbbba6f08"
local UPPER = "497F6ECA-6276-4993-BFEB-53EFBBBA6F08"

describe("lifecycle markers", function()
  it("builds each marker and parses it back: its kind, the name before it and its id", function()
    assert.equal("ci [rotation of " .. ID .. "]", markers.rotation("ci", ID))
    assert.equal("ci [replaced by " .. ID .. "]", markers.replaced("ci", ID))
    assert.equal("ci [being created]", markers.creating("ci"))
    assert.same({ "rotation", "ci", ID }, { markers.parse(markers.rotation("ci", ID)) })
    assert.same({ "replaced", "ci", ID }, { markers.parse(markers.replaced("ci", ID)) })
    assert.same({ "creating", "ci" }, { markers.parse(markers.creating("ci")) })
    for _, name in ipairs { markers.rotation("a b", ID), markers.replaced("a b", ID), markers.creating("a b") } do
      assert.is_true(markers.is_marked(name), name)
      assert.equal("a b", markers.base(name))
    end
  end)

  it("reads an id in upper case as written, and a name that holds brackets of its own", function()
    assert.same({ "rotation", "ci", UPPER }, { markers.parse("ci [rotation of " .. UPPER .. "]") })
    assert.same({ "replaced", "x [y]", UPPER }, { markers.parse(markers.replaced("x [y]", UPPER)) })
    -- only the last marker is the token's own: a rotation of a kept token stacks them
    local stacked = markers.rotation(markers.replaced("ci", UPPER), ID)
    assert.same({ "rotation", "ci [replaced by " .. UPPER .. "]", ID }, { markers.parse(stacked) })
    assert.equal("ci", markers.base(stacked))
    assert.equal("ci", markers.base(markers.rotation(markers.creating("ci"), ID)))
  end)

  it("leaves alone names that only look like markers", function()
    for _, name in ipairs {
      "ci", "", "ci [rotation of ]", "ci [rotation of xyz]", "ci [rotation of " .. ID .. "] ",
      "ci[rotation of " .. ID .. "]", "ci [Rotation of " .. ID .. "]", "ci [rotation of " .. ID,
      "ci [replaced by " .. ID .. "]x", "ci [replaced by  " .. ID .. "]", "ci [being created] ",
      "ci [being created ]", "[being created]", "ci [replaced by NEW_ID]",
    } do
      assert.is_nil(markers.parse(name), name)
      assert.is_false(markers.is_marked(name), name)
      assert.equal(name, markers.base(name))
    end
    assert.is_nil(markers.parse(nil))
    assert.is_nil(markers.parse(42))
    assert.is_false(markers.is_marked({}))
  end)

  it("cuts the name so that name and marker fit 256 bytes, never inside a UTF-8 character", function()
    local mark = " [replaced by " .. ID .. "]"
    local room = 256 - #mark
    assert.equal(("a"):rep(room) .. mark, markers.replaced(("a"):rep(300), ID))
    assert.equal(("a"):rep(room) .. mark, markers.replaced(("a"):rep(room + 1), ID))
    assert.equal(("a"):rep(room) .. mark, markers.replaced(("a"):rep(room), ID))
    assert.equal(("a"):rep(room - 1) .. mark, markers.replaced(("a"):rep(room - 1), ID))
    assert.equal(("a"):rep(256 - 16) .. " [being created]", markers.creating(("a"):rep(256)))
    local euro = "\226\130\172"
    local wide = markers.creating("a" .. euro:rep(100))
    assert.equal(254, #wide)   -- 79 whole characters after the "a": the 80th would be cut in half
    assert.same({ "creating", "a" .. euro:rep(79) }, { markers.parse(wide) })
    -- a cut name still parses back to what was kept of it
    assert.same({ "rotation", ("a"):rep(256 - #mark), ID }, { markers.parse(markers.rotation(("a"):rep(300), ID)) })
    assert.equal("token [being created]", markers.creating(nil))
  end)
end)
