-- KNOWN_VIOLATIONS: the cells of the simulation (operation | step | failure)
-- that break a promise today, each with the reason. spec/76 marks them pending
-- instead of failing; a listed cell that violates other invariants than
-- `inv`, or none, fails the spec, so this list can't rot. Empty it as the
-- fixes land (a fixed cell then fails until its entry goes).
--   op, steps (step names as the simulation prints them), failures, inv (exactly
--   the invariants the cell violates), reason
local ACTED = { "acted, then 502", "acted, then cut mid-body", "acted, then closed unanswered",
  "acted, then timed out", "acted, then truncated body", "acted, then undecodable body" }
local DELETE_LOST = { "acted, then 502", "acted, then timed out" }

local LOST_CREATE = "a create whose answer is lost made a token nobody has the key of; nothing looks for it"
  .. " (no temporary name marks it), and the re-run makes a second one"
local BOTH_WORK = "the DELETE of the old token was carried out but its answer lost; the message says"
  .. " \"both tokens work\" though the old one is gone"
local RENAME_LOST = "the final rename was carried out but its answer lost; the message says the new token"
  .. " \"keeps the name\" of the rotation, though it has its final name"
local RENAMED = { "acted, then 502", "acted, then cut mid-body", "acted, then timed out", "acted, then truncated body",
  "acted, then undecodable body" }
local SEVERAL = "self create answering a list of several tokens: the rotation takes the list for the token and"
  .. " raises in its clean-up, leaving the new token, whose key nobody has"
local KEPT_RESUMED = "the old token was renamed \"... [replaced by NEW]\" and the run stopped before the new"
  .. " one took its name: the re-run takes the old token's new name for the final one and gives it to the new"
  .. " token, so no token keeps the name"
local KEYLESS_PENDING = "killed between the create's answer and the store: the re-run finds the unfinished"
  .. " rotation, whose key nobody has, and asks for restart instead of deleting it"

return {
  { op = "create", steps = { "1 POST apitokens" }, failures = ACTED, inv = { 1, 4, 5 }, reason = LOST_CREATE },
  { op = "self create", steps = { "1 POST self/apitokens" }, failures = ACTED, inv = { 1, 4, 5 },
    reason = LOST_CREATE },
  { op = "cli create --key-file F", steps = { "1 POST apitokens" }, failures = ACTED, inv = { 1, 4, 5 },
    reason = LOST_CREATE .. "; the key file is removed" },
  { op = "cli create --key-file -", steps = { "1 POST apitokens" }, failures = ACTED, inv = { 1, 4, 5 },
    reason = LOST_CREATE },
  { op = "cli self create --key-file F", steps = { "1 POST self/apitokens" }, failures = ACTED,
    inv = { 1, 4, 5 }, reason = LOST_CREATE },
  { op = "apply", steps = { "2 POST apitokens" }, failures = { ACTED[1], ACTED[2], ACTED[3], ACTED[4], ACTED[5],
    ACTED[6], "killed after it" }, inv = { 1, 4, 5 },
    reason = "apply's create with a lost answer (or stopped before its store) leaves a token of the desired"
      .. " name whose key nobody has; it says \"no token was made\", and the re-run takes that token as done" },
  { op = "cli apply --key-dir D", steps = { "2 POST apitokens" }, failures = ACTED, inv = { 1, 4, 5 },
    reason = "apply's create with a lost answer leaves a token whose key nobody has, says \"no token was"
      .. " made\", and the re-run takes that token as done" },

  { op = "rotate", steps = { "3 POST apitokens" }, failures = { "killed after it" }, inv = { 1 },
    reason = KEYLESS_PENDING },
  { op = "rotate keep_old", steps = { "3 POST apitokens" }, failures = { "killed after it" }, inv = { 1 },
    reason = KEYLESS_PENDING },
  { op = "self rotate", steps = { "4 POST self/apitokens" }, failures = { "killed after it" }, inv = { 1 },
    reason = KEYLESS_PENDING },
  { op = "apply", steps = { "7 POST apitokens" }, failures = { "killed after it" }, inv = { 1 },
    reason = KEYLESS_PENDING },

  { op = "rotate", steps = { "5 DELETE apitokens/{old}" }, failures = DELETE_LOST, inv = { 4 }, reason = BOTH_WORK },
  { op = "self rotate", steps = { "6 DELETE self/apitokens/{old}" }, failures = DELETE_LOST, inv = { 4 },
    reason = BOTH_WORK },
  { op = "cli rotate --key-file F", steps = { "5 DELETE apitokens/{old}" }, failures = DELETE_LOST, inv = { 4 },
    reason = BOTH_WORK },
  { op = "cli rotate --key-file -", steps = { "5 DELETE apitokens/{old}" }, failures = DELETE_LOST, inv = { 4 },
    reason = BOTH_WORK },
  { op = "cli self rotate --key-file F", steps = { "6 DELETE self/apitokens/{old}" }, failures = DELETE_LOST,
    inv = { 4 }, reason = BOTH_WORK },

  { op = "rotate keep_old", steps = { "6 PUT apitokens/{id}" }, failures = { "acted, then 502",
    "acted, then cut mid-body", "acted, then timed out", "acted, then truncated body",
    "acted, then undecodable body" }, inv = { 3, 4, 5 },
    reason = "the final rename was carried out but its answer lost: the re-run takes the kept old token"
      .. " (\"... [replaced by ...]\") for a token to rotate, and rotates it again" },
  { op = "apply", steps = { "9 DELETE apitokens/{id}" }, failures = { "acted, then 502", "acted, then timed out",
    "killed after it" }, inv = { 4, 5 },
    reason = "a replace stopped after its old token went: the re-run plans a create of that name and leaves"
      .. " the unfinished rotation \"app-edge [rotation of ...]\" behind" },
  { op = "apply", steps = { "10 PUT apitokens/{id}" }, failures = { "never reached", "refused with 503, not acted on",
    "refused with 503, and so is the next" }, inv = { 4, 5 },
    reason = "a replace whose final rename failed: the re-run plans a create of that name and leaves the"
      .. " unfinished rotation behind" },

  { op = "cli rotate --key-file F", steps = { "4 GET self" }, failures = { "refused with 503, and so is the next" },
    inv = { 1 }, reason = "verify failed and the clean-up DELETE failed too: the key file is removed while the"
      .. " new token lives" },
  { op = "cli self rotate --key-file F", steps = { "5 GET self" },
    failures = { "refused with 503, and so is the next" }, inv = { 1 },
    reason = "verify failed and the clean-up DELETE failed too: the key file is removed while the new token lives" },
  { op = "cli apply --key-dir D", steps = { "8 GET self" }, failures = { "refused with 503, and so is the next" },
    inv = { 1 }, reason = "a replace's verify failed and its clean-up DELETE too: the key file is removed while"
      .. " the new token lives" },
  { op = "cli apply --key-dir D", steps = { "3 GET self" }, failures = { "refused with 503, and so is the next" },
    inv = { 1, 4, 5 }, reason = "a create's verify failed and its clean-up DELETE too: the key file is removed"
      .. " while the token lives, and the re-run takes that token as done" },

  { op = "cli rotate --key-file F", steps = { "key store" }, failures = { "key file is a device node" }, inv = { 6 },
    reason = "an existing empty-looking --key-file (a device node) is removed and replaced by a regular file" },
  { op = "cli apply --key-dir D", steps = { "key store" }, failures = { "key file is a device node" }, inv = { 6 },
    reason = "an existing empty-looking key file (a device node) in --key-dir is removed and replaced" },
  { op = "cli create --key-file -", steps = { "key store" }, failures = { "stdout is /dev/full", "stdout closed" },
    inv = { 1, 4 }, reason = "--key-file - to a standard output that can't be written reports success" },
  { op = "cli rotate --key-file -", steps = { "key store" }, failures = { "stdout is /dev/full", "stdout closed" },
    inv = { 1, 4 }, reason = "--key-file - to a standard output that can't be written reports success, and the"
      .. " old token is deleted" },
  { op = "cli self create --key-file F", steps = { "answers" }, failures = { "self create answers several tokens" },
    inv = { 1, 4 }, reason = "self create answering a list of several tokens raises (keyfile.finish gets no key)" },

  { op = "rotate", steps = { "6 PUT apitokens/{id}" }, failures = RENAMED, inv = { 4 }, reason = RENAME_LOST },
  { op = "self rotate", steps = { "7 PUT self/apitokens/{id}" }, failures = RENAMED, inv = { 4 },
    reason = RENAME_LOST },
  { op = "apply", steps = { "10 PUT apitokens/{id}" }, failures = RENAMED, inv = { 4 }, reason = RENAME_LOST },
  { op = "cli rotate --key-file F", steps = { "6 PUT apitokens/{id}" }, failures = RENAMED, inv = { 4 },
    reason = RENAME_LOST },
  { op = "cli rotate --key-file -", steps = { "6 PUT apitokens/{id}" }, failures = RENAMED, inv = { 4 },
    reason = RENAME_LOST },
  { op = "cli self rotate --key-file F", steps = { "7 PUT self/apitokens/{id}" }, failures = RENAMED, inv = { 4 },
    reason = RENAME_LOST },
  { op = "cli apply --key-dir D", steps = { "10 PUT apitokens/{id}" }, failures = { "acted, then 502",
    "acted, then cut mid-body", "acted, then timed out", "acted, then truncated body" }, inv = { 4 },
    reason = RENAME_LOST },
  { op = "finish", steps = { "3 DELETE apitokens/{old}" }, failures = DELETE_LOST, inv = { 4 },
    reason = "the DELETE was carried out but its answer lost; the message says \"both tokens still work\"" },
  { op = "cli rotate --finish", steps = { "3 DELETE apitokens/{old}" }, failures = DELETE_LOST, inv = { 4 },
    reason = "the DELETE was carried out but its answer lost; the message says \"both tokens still work\"" },
  { op = "self rotate", steps = { "answers" }, failures = { "self create answers several tokens" }, inv = { 1, 4 },
    reason = SEVERAL },
  { op = "cli self rotate --key-file F", steps = { "answers" }, failures = { "self create answers several tokens" },
    inv = { 1, 4 }, reason = SEVERAL },

  { op = "cli rotate --keep-old", steps = { "4 GET self" }, failures = { "refused with 503, and so is the next" },
    inv = { 1 }, reason = "verify failed and the clean-up DELETE failed too: the key file is removed while the new"
      .. " token lives" },
  { op = "cli rotate --keep-old", steps = { "5 PUT apitokens/{old}" }, failures = { RENAMED[1], RENAMED[2],
    RENAMED[3], RENAMED[4], RENAMED[5], "killed after it" }, inv = { 3, 4, 5 }, reason = KEPT_RESUMED },
  { op = "cli rotate --keep-old", steps = { "6 PUT apitokens/{id}" }, failures = { "never reached",
    "refused with 503, not acted on", "refused with 503, and so is the next" }, inv = { 3, 4, 5 },
    reason = KEPT_RESUMED },
  { op = "cli rotate --keep-old", steps = { "6 PUT apitokens/{id}" }, failures = RENAMED, inv = { 4 },
    reason = RENAME_LOST },
}
