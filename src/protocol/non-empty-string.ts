import { Type } from "@sinclair/typebox";

export const NonEmptyString = Type.String({ minLength: 1 });
