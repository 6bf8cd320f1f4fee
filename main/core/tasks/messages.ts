import { z } from 'zod';

/**
 * Outbox's one voice for validation messages. Fields say what they accept in
 * their own words (field-types.ts); this error map words every other issue
 * (API arguments, settings, share requests) the same way, so zod's default
 * wording ("Invalid input: expected boolean, received string") never reaches
 * a user. Installed once, by the module every host loads to parse tasks.
 */

const nouns: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  tuple: 'a list',
  record: 'an object',
  date: 'a date',
};

const formats: Record<string, string> = {
  email: 'an e-mail address',
  url: 'a URL',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  regex: 'in the expected form',
};

function sizeLimit(origin: string, bound: number | bigint, word: 'least' | 'most'): string {
  if (origin === 'string')
    return bound === 1 && word === 'least'
      ? 'must not be empty'
      : `must be at ${word} ${bound} characters long`;
  if (origin === 'array' || origin === 'set')
    return bound === 1 && word === 'least'
      ? 'must name at least one'
      : `must have at ${word} ${bound} entries`;
  return `must be at ${word} ${bound}`;
}

export function outboxMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'is required'
        : `must be ${nouns[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return issue.origin === 'number' && issue.minimum === 0 && issue.inclusive === false
        ? 'must be greater than 0'
        : sizeLimit(String(issue.origin), issue.minimum, 'least');
    case 'too_big':
      return sizeLimit(String(issue.origin), issue.maximum, 'most');
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_format':
      return `must be ${formats[issue.format] ?? `in ${issue.format} form`}`;
    case 'unrecognized_keys':
      return 'unknown parameter';
    case 'invalid_key':
      return 'has a key that is not allowed';
    case 'invalid_union':
    case 'invalid_element':
      return 'is not a value this field accepts';
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return 'is not valid';
  }
}

z.config({ customError: outboxMessage });
