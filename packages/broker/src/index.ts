import { x } from "@samsa/protocol"; export const y = x + 1;
