-- Health of a StatefulSet (argocd-cm resource.customizations.health.apps_StatefulSet).
--
-- Argo CD's built-in check says Progressing for as long as a pod is not ready, so a rollout whose
-- new pods crash-loop stays Progressing for ever (argo-cd#6527). This check sees what that one
-- sees, the StatefulSet object alone (never its pods), and adds one thing: how long ago the
-- StatefulSet controller last changed the status, read from metadata.managedFields. Work still
-- pending and no status change for longer than the progress deadline is Degraded, as a
-- Deployment's progressDeadlineSeconds would make it. docs/operations.md#degraded says what
-- that covers and what it cannot see.
--
-- Argo CD runs health scripts without Lua's string library: timestamps are compared as
-- strings, which for Kubernetes' UTC RFC 3339 form ("2026-12-03T15:04:05Z") is time order.

local os = require("os")

-- Deployment's default progressDeadlineSeconds. A StatefulSet may set its own in this annotation.
local DEFAULT_DEADLINE_SECONDS = 600
local DEADLINE_ANNOTATION = "visits.example.com/progress-deadline-seconds"

local metadata = obj.metadata or {}
local spec = obj.spec or {}
local status = obj.status or {}

local function deadlineSeconds()
  local annotations = metadata.annotations or {}
  local value = tonumber(annotations[DEADLINE_ANNOTATION])
  if value ~= nil and value > 0 then
    return value
  end
  return DEFAULT_DEADLINE_SECONDS
end

-- "now minus seconds" in Kubernetes' UTC form. os.date("!*t") is UTC; os.time and os.date with
-- a time both use the controller's local zone, so going through both cancels it out.
local function utcTimestampSecondsAgo(seconds)
  local t = os.date("!*t")
  t.sec = t.sec - seconds
  return os.date("%Y-%m-%dT%H:%M:%SZ", os.time(t))
end

-- When the StatefulSet controller last changed anything in the status (its managedFields entry
-- for the status subresource is re-stamped whenever one of its fields changes value), or nil.
local function lastStatusChange()
  local latest = nil
  for _, entry in ipairs(metadata.managedFields or {}) do
    if entry.subresource == "status" and entry.time ~= nil and (latest == nil or entry.time > latest) then
      latest = entry.time
    end
  end
  return latest
end

-- What the rollout still has to do, or nil when it has done it all.
local function pendingWork()
  local replicas = spec.replicas or 1
  local ready = status.readyReplicas or 0
  if ready < replicas then
    return (replicas - ready) .. " of " .. replicas .. " pods not ready"
  end
  -- Ready for minReadySeconds; the field is absent on clusters that do not report it.
  if status.availableReplicas ~= nil and status.availableReplicas < replicas then
    return (replicas - status.availableReplicas) .. " of " .. replicas .. " pods not yet available (minReadySeconds)"
  end
  local strategy = spec.updateStrategy or {}
  -- OnDelete replaces a pod only when someone deletes it: older pods are not pending work.
  if strategy.type == "OnDelete" then
    return nil
  end
  local partition = (strategy.rollingUpdate or {}).partition or 0
  local toUpdate = replicas - partition
  local updated = status.updatedReplicas or 0
  if updated < toUpdate then
    return updated .. " of " .. toUpdate .. " pods at revision " .. tostring(status.updateRevision)
  end
  return nil
end

local function healthy()
  local replicas = spec.replicas or 1
  local message = (status.readyReplicas or 0) .. " of " .. replicas .. " pods ready"
  if status.updateRevision ~= nil then
    message = message .. ", " .. (status.updatedReplicas or 0) .. " at revision " .. status.updateRevision
  end
  return { status = "Healthy", message = message }
end

-- The controller has not seen the latest spec yet: its status describes an older one, and its
-- last change may be old simply because nothing happened before this spec arrived.
if status.observedGeneration == nil or status.observedGeneration < (metadata.generation or 0) then
  return { status = "Progressing", message = "waiting for the StatefulSet controller to observe generation " .. tostring(metadata.generation) }
end

local pending = pendingWork()
if pending == nil then
  return healthy()
end

local deadline = deadlineSeconds()
local since = lastStatusChange()
if since ~= nil and since < utcTimestampSecondsAgo(deadline) then
  return {
    status = "Degraded",
    message = pending .. ", and no progress for more than " .. deadline .. "s (status last changed " .. since .. "): the pods say why (crash loop, image pull, unschedulable, failing probe)",
  }
end
return { status = "Progressing", message = pending }
