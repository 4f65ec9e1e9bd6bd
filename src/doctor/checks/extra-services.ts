import { scanGatewayLikeServices, serviceScanDirs } from "../../service/extra-services.js";
import type { DoctorCheck, Finding } from "../finding.js";

const ID = "service.extra";

/** REFERENCE §4.6 extra services: other units/plists that mention coderclaw (`--deep`: system dirs too). */
export const extraServicesCheck: DoctorCheck = {
  id: ID,
  title: "Other gateway services",
  run(context): Finding[] {
    const manager = context.serviceManager();
    if (manager.kind === "unsupported") return [];
    const dirs = serviceScanDirs(context.env, context.platform, context.deep);
    const found = scanGatewayLikeServices(dirs, manager.filePath ? [manager.filePath] : []);
    const where = context.deep ? "user or system service dirs" : "user service dir (--deep adds system dirs)";
    if (found.length === 0) {
      return [{ id: ID, level: "ok", message: `No other gateway-like services in the ${where}` }];
    }
    // Our own units (marked at install) belong to other profiles; unmarked ones are someone else's.
    const unmarked = found.filter((service) => !service.detail.startsWith("coderclaw gateway service"));
    const detail = found.map((service) => `- ${service.label} (${service.scope}): ${service.detail}`);
    if (unmarked.length === 0) {
      return [
        {
          id: ID,
          level: "ok",
          message: `Other coderclaw gateway services (other profiles): ${found.length}`,
          detail,
        },
      ];
    }
    return [
      {
        id: ID,
        level: "warn",
        message: `Other gateway-like services found: ${found.length}`,
        detail: [
          ...detail,
          "Run one gateway per host unless you need isolation; remove services you do not use.",
        ],
      },
    ];
  },
};
