/**
 * The page → host channel: a console line `[DemoHost] <event> <json>`. The host
 * (app/flagdeck/demo_target/page.py) consumes these lines instead of printing them; in a plain
 * browser they are just console output. Events: `ready`, `crash-requested`, `boot-failed`.
 */

export function notifyHost(event, detail = {}) {
  console.info(`[DemoHost] ${event} ${JSON.stringify(detail)}`);
}
