// The host bridge the test page uses: the official one, exposed as `ExtApps` on the page.
export { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
