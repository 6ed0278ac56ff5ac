# deploy/k8s as podman 4.3's `kube play` can run it, for KubernetesPlayTests (which says why each
# change is needed): the Job's pod template as a Pod, no Service, the Secret in `data`, init
# containers run once, every name with the test's suffix, the test's image, and extra dlcoord arguments. It also writes
# workers-extra.yaml, one more pod of the workers' template, which is what scaling the Deployment
# up by one makes.
#
#   adapt-k8s.py MANIFESTS OUTPUT IMAGE SUFFIX "EXTRA DLCOORD ARGUMENTS"
import base64
import os
import secrets
import sys

import yaml

source, output, image, suffix, extra = sys.argv[1:6]


def documents(name):
    with open(os.path.join(source, name)) as file:
        return [d for d in yaml.safe_load_all(file) if d]


def write(name, docs):
    with open(os.path.join(output, name), "w") as file:
        yaml.safe_dump_all(docs, file, sort_keys=False)


def renamed(name):
    return f"{name}-{suffix}"


def adapt_pod(template):
    """The pod template (metadata and spec) as podman should play it."""
    spec = template["spec"]
    # podman applies the pod's restart policy to its init containers too: with a Deployment's
    # Always, it restarts the init container as soon as it ends and the pod never starts.
    # Kubernetes runs init containers to completion whatever the policy.
    spec["restartPolicy"] = "OnFailure"
    for container in spec.get("initContainers", []) + spec["containers"]:
        assert container["image"] == "dltrain:latest", container["image"]
        container["image"] = image
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            volume["secret"]["secretName"] = renamed(volume["secret"]["secretName"])
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"]
            claim["claimName"] = renamed(claim["claimName"])
    return template


(secret,) = documents("secret.yaml")
value = base64.b64encode(secrets.token_urlsafe(32).encode()).decode()
secret["metadata"]["name"] = renamed(secret["metadata"]["name"])
secret.pop("stringData")
secret["data"] = {"job.secret": value}
write("secret.yaml", [secret])

played = []
for doc in documents("coordinator.yaml"):
    if doc["kind"] == "Service":
        continue
    if doc["kind"] == "Job":
        template = adapt_pod(doc["spec"]["template"])
        doc = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": dict(template["metadata"], name=renamed(doc["metadata"]["name"])),
            "spec": template["spec"],
        }
        (dlcoord,) = doc["spec"]["containers"]
        dlcoord["args"] += extra.split()
    else:
        doc["metadata"]["name"] = renamed(doc["metadata"]["name"])
    played.append(doc)
write("coordinator.yaml", played)

(deployment,) = documents("workers.yaml")
adapt_pod(deployment["spec"]["template"])
deployment["metadata"]["name"] = renamed(deployment["metadata"]["name"])
write("workers.yaml", [deployment])
deployment["metadata"]["name"] = renamed("dltrain-worker-extra")
deployment["spec"]["replicas"] = 1
write("workers-extra.yaml", [deployment])
