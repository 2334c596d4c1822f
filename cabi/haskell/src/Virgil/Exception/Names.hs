{-# LANGUAGE OverloadedStrings #-}

-- | The framework's exception names (ABI.md section 7), defined once for the whole kit. The
-- kit's other modules name framework failures only through these; the test suite checks
-- 'frameworkNames' against the table of ABI.md section 7.
--
-- This module imports nothing of the kit: it sits at the bottom of the exception layer.
module Virgil.Exception.Names
  ( frameworkPrefix
  , argumentErrorName
  , resultErrorName
  , unknownFunctionName
  , panicName
  , internalErrorName
  , protocolErrorName
  , outOfMemoryName
  , limitExceededName
  , abiMismatchName
  , releasedClosureName
  , frameworkNames
  , isFrameworkName
  ) where

import Data.Text (Text)
import qualified Data.Text as T

-- | The prefix of every framework name, @virgil.@; no other name starts with it.
frameworkPrefix :: Text
frameworkPrefix = "virgil."

-- | The arguments could not be lifted, or do not match the function's parameters.
argumentErrorName :: Text
argumentErrorName = "virgil.ArgumentError"

-- | A result could not be lowered (guest) or a reply lifted (host).
resultErrorName :: Text
resultErrorName = "virgil.ResultError"

-- | No such function in the library.
unknownFunctionName :: Text
unknownFunctionName = "virgil.UnknownFunction"

-- | A panic of the guest's language (the Haskell kit names uncaught exceptions by their type).
panicName :: Text
panicName = "virgil.Panic"

-- | The framework itself failed: a broken invariant.
internalErrorName :: Text
internalErrorName = "virgil.InternalError"

-- | The peer broke the ABI's protocol (a broken argument or reply box).
protocolErrorName :: Text
protocolErrorName = "virgil.ProtocolError"

-- | An allocation failed.
outOfMemoryName :: Text
outOfMemoryName = "virgil.OutOfMemory"

-- | A limit of ABI.md section 11 was exceeded.
limitExceededName :: Text
limitExceededName = "virgil.LimitExceeded"

-- | The manifest's ABI version is not one the host speaks.
abiMismatchName :: Text
abiMismatchName = "virgil.AbiMismatch"

-- | A closure was called after it stopped being valid (ABI.md section 15).
releasedClosureName :: Text
releasedClosureName = "virgil.ReleasedClosure"

-- | Every framework name, in the order of the table of ABI.md section 7.
frameworkNames :: [Text]
frameworkNames =
  [ argumentErrorName
  , resultErrorName
  , unknownFunctionName
  , panicName
  , internalErrorName
  , protocolErrorName
  , outOfMemoryName
  , limitExceededName
  , abiMismatchName
  , releasedClosureName
  ]

-- | Whether a name is reserved for the framework (starts with 'frameworkPrefix').
isFrameworkName :: Text -> Bool
isFrameworkName = T.isPrefixOf frameworkPrefix
