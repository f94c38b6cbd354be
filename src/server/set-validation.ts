// Per generation and client, one SetValidator over the server's content-keyed per-resource cache, and each
// translation's problems kept by its identity, so a build prepared ahead (prepare-build.ts) finds its set validated.
import { SetValidator } from '../validate/index.ts';
import type { ValidateOptions, ValidationClient, ResourceProblem } from '../validate/index.ts';
import type { ProxyResources } from '../pipeline/index.ts';
import type { BuildContext } from './proxy-build.ts';

/** The validator options of a client: the server's content-keyed per-resource cache, no encoder round trip (encoding comes first). */
export function validationOptions(ctx: BuildContext, client: ValidationClient): ValidateOptions {
  const shared = ctx.shared;
  return { client, cache: shared.validation, keyOf: (typeUrl, value) => shared.contentKey(typeUrl, value), roundTrip: false };
}

/** This generation's validator for a client, sharing the server's content-keyed per-resource cache. */
function validatorOf(ctx: BuildContext, client: ValidationClient): SetValidator {
  let validator = ctx.validators.get(client);
  if (!validator) ctx.validators.set(client, (validator = new SetValidator(validationOptions(ctx, client))));
  return validator;
}

/** Per validator, each translation's problems by its identity (a prepared translation is validated before its build). */
const validatedSets = new WeakMap<SetValidator, WeakMap<object, readonly ResourceProblem[]>>();

/** The set validator's problems for one translation, computed once per translation object and generation. */
export function validatedSet(ctx: BuildContext, client: ValidationClient, plain: ProxyResources): readonly ResourceProblem[] {
  const validator = validatorOf(ctx, client);
  let known = validatedSets.get(validator);
  if (!known) validatedSets.set(validator, (known = new WeakMap()));
  let problems = known.get(plain);
  if (!problems) known.set(plain, (problems = validator.validate(plain)));
  return problems;
}
