-- Health of an Argo CD Application as a resource of another one (argocd-cm
-- resource.customizations.health.argoproj.io_Application): the child's own health, so that the
-- app of apps (root) shows its children's state and its sync waves wait for a child to be
-- Healthy. Argo CD dropped this check from its defaults in 1.8 and documents putting it back.

-- An app of apps that manages itself (root syncs clusters/<name>, root.yaml included) is one of
-- its own resources: its health would feed back into itself, and once Progressing it would stay
-- so, its sync waiting on its own health (seen on the local cluster: root stuck for 8 minutes).
-- As its own resource it counts as Healthy; its health is still its children's.
local annotations = (obj.metadata or {}).annotations or {}
if annotations["visits.example.com/manages-itself"] == "true" then
  return { status = "Healthy", message = "manages itself: its health is its children's, not counted twice" }
end

local health = (obj.status or {}).health
-- A child that the controller has not assessed yet is still coming up, not healthy.
if health == nil or health.status == nil then
  return { status = "Progressing", message = "waiting for the Application's first health assessment" }
end
return { status = health.status, message = health.message or "" }
