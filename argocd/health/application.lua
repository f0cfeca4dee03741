-- Health of an Argo CD Application as a resource of another one (argocd-cm
-- resource.customizations.health.argoproj.io_Application): the child's own health, so that the
-- app of apps (root) shows its children's state and its sync waves wait for a child to be
-- Healthy. Argo CD dropped this check from its defaults in 1.8 and documents putting it back.

local health = (obj.status or {}).health
-- A child that the controller has not assessed yet is still coming up, not healthy.
if health == nil or health.status == nil then
  return { status = "Progressing", message = "waiting for the Application's first health assessment" }
end
return { status = health.status, message = health.message or "" }
