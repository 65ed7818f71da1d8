<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>guimain</name>
    <message>
        <source>Connecting…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>pier::ui::AppEditor</name>
    <message>
        <source>Add</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a row to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the selected row from %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Application</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. nginx or /web/nginx</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The app&apos;s name in Marathon: lower-case letters, digits, &apos;-&apos; and &apos;.&apos;, with &apos;/&apos; between groups.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;ID:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many copies of the container Marathon keeps running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Instance&amp;s:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty: the image&apos;s own command</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A shell command to run instead of the image&apos;s default command.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Comma&amp;nd:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Container</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. library/nginx:1.7.9</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Docker image to run, with its tag.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Docker ima&amp;ge:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bridge</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Container (user network)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bridge gives the container its own ports, mapped to ports of the node; Host shares the node&apos;s network.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Net&amp;work:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Container port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Host port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Service port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Protocol</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Container port: where the app listens inside the container. Host port 0: Mesos picks one. Service port: the port HAProxy opens for the app on every node (0: Marathon picks one).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the port mappings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Port mappings:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resources per instance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPU shares; 0.2 is a fifth of a core.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;CPUs:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> MiB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Memory:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Disk:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Environment variables</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the environment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Never put passwords here: anyone who can read Marathon can read them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Labels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the labels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Placement cons&amp;traints</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Operator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the constraints</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>For example hostname UNIQUE: at most one instance per node.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Health chec&amp;ks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Path or command</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Port index</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Grace</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Interval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Timeout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failures</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HTTP, HTTPS and TCP are checked by Marathon; MESOS_* by the agent; COMMAND runs a command in the container.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The HTTP path to ask, or the command to run for COMMAND checks.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Which of the app&apos;s ports to check: 0 is the first port mapping.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seconds after the task starts during which failures are ignored.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seconds between two checks.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seconds a check may take before it counts as failed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Consecutive failures after which Marathon kills the task (0: never).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the health checks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Grace, interval and timeout are in seconds. Port index 0 is the first port mapping.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Upgrade strategy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The share of instances that must stay healthy during an update (1: start new ones before stopping old ones).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Minimum health capacit&amp;y:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many extra instances, as a share, may run during an update.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Maximum &amp;over capacity:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>App definition JSON</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;JSON</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What Marathon will fill in for every field this definition leaves out. Read-only: edit the JSON or the form.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wit&amp;h defaults</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Problems</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Double-click a problem, or press Enter, to go to its field.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>line %1, column %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Syntax error at %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The JSON text has a syntax error (%1). The form shows the last valid definition; fix the text to edit with the form again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Port %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Port mapping %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Constraint %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Health check %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JSON line %1, column %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Double-click or press Enter to go to the field.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This applies to the definition as a whole.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No problems found: Marathon should accept this definition.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>P&amp;roblems to fix before launching: %1. Double-click one to go to its field.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rejected by Marathon</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot save %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>pier::ui::JsonDiffDialog</name>
    <message>
        <source>Changes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No differences: %1 and %2 have the same content.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lines added (+): %1. Lines removed (-): %2.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>pier::ui::LaunchController</name>
    <message>
        <source>No Marathon</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>start Pier with --marathon URL or set PIER_MARATHON_URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not answering: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>connected, Marathon %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No Marathon is set. Start Pier with --marathon URL (or set PIER_MARATHON_URL), e.g. http://&lt;master&gt;:8080 over the VPN.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Asking Marathon about %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not updated: %1 keeps running as it was.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deploying: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon rejected the definition: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>pier::ui::LiveAppsModel</name>
    <message>
        <source>Waiting: launch delayed %1 s after failures</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deploying (step %1 of %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for offers (%1 to launch)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Suspended</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 running, no health checks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 healthy, %3 unhealthy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 healthy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>App</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Instances</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Healthy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unhealthy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Staged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Health</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>pier::ui::LiveChart</name>
    <message>
        <source>Running and healthy tasks over time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tasks, last %1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, last %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>running %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>healthy %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>of %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>pier::ui::LiveView</name>
    <message>
        <source>Filter apps (id contains…)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The view stays live by itself; this fetches everything again now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Instances</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type a number or step up and down, then Scale.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Scale</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Res&amp;tart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sus&amp;pend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Destroy…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Earlier versions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Roll &amp;back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Instances:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Health</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Host:port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Started</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Kill task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kill the selected task; Marathon starts a replacement.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kill and scale &amp;down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kill the selected task and lower the instance count by one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Now doing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel and roll &amp;back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel, keep &amp;as is</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop the deployment where it is, without rolling back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployments in progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All apps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No app selected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>health check: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no checks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not checked yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Healthy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unhealthy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Service ports: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>staged %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>current</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last failure: %1 (%2 on %3, %4).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon waits %1 s before the next launch (backoff after failures).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> Showing %1 of %2 tasks.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step %1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Version of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No earlier version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>App locked by a deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is being changed by a deployment in progress.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Do it anyway? Marathon then stops that deployment where it is and does this instead.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Override</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: not done, the app is locked by a deployment. Wait for it, or cancel it below.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: deployment %2 finished.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: deployment %2 in progress…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scaling %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scaled %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restarting %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restarted %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Suspend app</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Suspend %1?</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Its %n task(s) stop; the app stays on Marathon with 0 instances, and scaling it up starts it again.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Suspend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Suspending %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Suspended %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Destroy app</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Destroy %1?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon kills its tasks and forgets the app and its versions. This cannot be undone; to stop it for now, Suspend keeps the definition.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Destroy %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 was not destroyed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Destroying %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Destroyed %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Killing task %1 and scaling down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Killing task %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Killed %1 and scaled %2 down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Killed %1; Marathon replaces it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rolling %1 back to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rolled %1 back to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelling deployment %1 and rolling back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelling deployment %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled deployment %1; rolling %2 back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled deployment %1; %2 stays as it is now</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>pier::ui::MainWindow</name>
    <message>
        <source>Pages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deploy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deploy will take a running app the rest of the way to a public page: the private network, a static address, the load balancer, the firewall rule and the nodes&apos; iptables. Each step is explained before it runs, with the command you would type yourself, then checked, and can be undone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live will show your apps as they run: every task, the node it runs on, its health checks and the last failures, updated as Marathon reports them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nodes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nodes will list the cluster&apos;s machines, each with an SSH pane and a view of its firewall, so you can see whether it lets the app&apos;s port through and fix it when it does not.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Network</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Network will show the Google Compute Engine resources that make the app public: the static address, the target pool, the forwarding rule, the instance tags and the firewall rules.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log will record everything Pier does, with the equivalent command for each step, so you can follow it, copy it and repeat it by hand.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not configured</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;New from Template</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start from the tutorial&apos;s nginx definition</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open an app definition (JSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the app definition</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save &amp;As…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Changes Since Saved…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Validate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check the definition as Marathon would</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>La&amp;unch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send the definition to Marathon and follow the deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;App</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Main</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop following the launch. A deployment Marathon has started keeps going; see Live.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Launch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Launch sends this definition to Marathon (POST /v2/apps, or PUT when the app exists) and follows the deployment here until its tasks run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This page is not ready yet. Meanwhile, write and launch your app from the Apps page.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Untitled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1[*] — Pier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The app definition “%1” has changes that are not saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save them before going on?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard Changes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New definition from the nginx template</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open App Definition</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>App definitions (*.json);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Opened %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save App Definition</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>template</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changes Since Saved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (saved)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (editor)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Syntax error at line %1, column %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Problems found: %1. They are marked on their fields.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No problems found: Marathon should accept this definition.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not launched: the JSON text has a syntax error at line %1, column %2. Fix it, then launch again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Launch with problems?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon will probably reject this definition (problems found: %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>They are marked on the fields and listed under the form. Launch anyway?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Launch Anyway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Don&apos;t Launch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not launched: fix the problems marked in the form first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Launching %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Launching %1 on %2…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1/%2 tasks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon is busy with this app</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon is still running deployment %1 for this app, so it refused the launch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Forcing replaces that deployment with this launch: instances it was starting or stopping are left as they are. Or wait for it to finish and launch again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Force Launch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not launched: Marathon is busy with deployment %1. Wait for it to finish, then launch again (or launch and choose Force).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Launching %1 with force…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon rejected the definition: fix the marked fields and launch again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>on Marathon</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this definition</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Update %1?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 already runs on Marathon. Updating replaces its tasks with new ones made from this definition. These are the changes (Marathon&apos;s defaults filled in on both sides):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Update</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Succeeded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Problem</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Information</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Marathon this window launches apps on, and whether it answers.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>pier::ui::ProfileEditor</name>
    <message>
        <source>New Cluster Profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit Profile “%1”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cluster</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where Marathon and the Mesos master answer: usually the master&apos;s internal address, reached over the VPN.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. production</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>http://10.240.0.2:8080</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Marathon:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>http://10.240.0.2:5050</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>M&amp;esos master:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>None</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User name and password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DC/OS token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Login:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;User:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional, for HTTPS with a private CA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;A certificates:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CA Certificates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Test Connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Private network</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How this computer reaches the cluster&apos;s internal addresses: an OpenVPN configuration, or a SOCKS5 proxy. Leave both empty for a direct route.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cluster.ovpn</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;VPN configuration:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OpenVPN Configuration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>host:port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SOC&amp;KS5 proxy:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SSH to the nodes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Used to check and open the nodes&apos; firewalls. Host keys are checked against known_hosts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>jclouds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SSH &amp;user:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>~/.ssh/id_ed25519, or empty for ssh-agent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Key file:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SSH Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key &amp;passphrase:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>P&amp;ort:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>~/.ssh/known_hosts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Known &amp;hosts:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Known Hosts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Google Compute Engine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The project that makes the page public: its address, load balancer and firewall rule.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>my-project</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pro&amp;ject:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>us-central1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Region:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>us-central1-a</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Zone:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Service-account key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The gcloud command&apos;s login</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Application default credentials</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Credentials:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the service-account key (JSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ke&amp;y file:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Service-Account Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty: Google&apos;s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Endpoint:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resource names</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What Pier calls the things it creates on GCE.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Static address:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target pool:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Forwarding rule:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Firewall rule:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Node tag:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unchanged (kept in the keychain)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Token:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Asking %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✗ %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✓ Connected: Marathon %1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>pier::ui::ProfileSwitcher</name>
    <message>
        <source>The cluster profile this window works on (Ctrl+Shift+P)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cluster profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Profiles</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Switch Profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;New Profile…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Edit Profile…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>D&amp;uplicate Profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Delete Profile…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Import Profile…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E&amp;xport Profile…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Command line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Profile: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A launch is running on this cluster: wait for it to finish, or cancel it, before switching.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marathon</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>my-cluster</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Made the profile “%1”; its passwords are not copied, enter them with Edit Profile.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete Profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the profile “%1” and its passwords in the keychain?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing on the cluster changes. You can import the profile again if you exported it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete “%1”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import Profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pier profiles (*.json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export Profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exported “%1” to %2, without its passwords.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting the sandbox…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The sandbox runs at %1 until Pier closes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The sandbox stopped (exit code %1). Start it again, or run `pier sandbox up` in a terminal to see why.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot start %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Launch finished</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Launch failed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>pier::ui::Welcome</name>
    <message>
        <source>&lt;h1&gt;Welcome to Pier&lt;/h1&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pier takes a web container from an app definition to a page anyone can open, on a Mesos cluster with Marathon. Each cluster you work with gets a profile: where it answers, how to reach it, and the Google Compute Engine project behind it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start the sandbox</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A small practice cluster on this computer. Nothing leaves the machine; a good first step.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create a profile for an existing cluster</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You know the address of your Marathon (e.g. http://10.240.0.2:8080) and how to reach it.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
